"""grading_gan: the GAN lab's quality bar, for its autograder only (never shipped to students).

The DCGAN's samples are judged with grading.check_judge_score / check_every_class_drawn (hidden MNIST judge).
"""
DATASET = "mnist"
SAMPLES = 1000  # samples of generate(n) the hidden judge reads

# Bar set from measurement (python -m kit.bench --labs gan; README): the reference (3000 iterations) scores
# 4.04 / 4.03 / 4.02 on three sampling seeds with all ten digits; an untrained generator 1.0 (every sample read
# as the same digit); the bar is first cleared after about 750 iterations.
BARS = {
    # Inception Score of SAMPLES DCGAN samples computed with the hidden judge (1 = one digit only, 10 = ideal)
    "dcgan_inception_score": 3.0,
}
