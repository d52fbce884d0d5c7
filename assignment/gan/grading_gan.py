"""grading_gan: the GAN lab's quality bar, for its autograder only (never shipped to students).

The DCGAN's samples are drawn in the grading kernel and judged outside it (``JUDGED``; grading.verdict, run by the
autograder's samplejudge plugin with the hidden MNIST judge).
"""
import grading

DATASET = "mnist"
SAMPLES = 1000  # samples of generate(n) the hidden judge reads

# Bar set from measurement (python -m kit.bench --labs gan; README): the reference (3000 iterations) scores
# 4.04 / 4.03 / 4.02 on three sampling seeds with all ten digits; an untrained generator 1.0 (every sample read
# as the same digit); the bar is first cleared after about 750 iterations.
BARS = {
    # Inception Score of SAMPLES DCGAN samples computed with the hidden judge (1 = one digit only, 10 = ideal)
    "dcgan_inception_score": 3.0,
    # realism: Frechet distance to real test digits in the hidden judge's features over that of real training
    # digits (grading.fd_ratio): the reference 109, fooling images 500-1100, uniform noise 1120
    "dcgan_fd_ratio": 250,
    # realism: how often nearest real images carry the hidden judge's label, relative to real digits
    # (grading.agreement): the reference 0.44, fooling images 0.04-0.07, uniform noise 0.04
    "dcgan_agreement": 0.2,
}

DCGAN = grading.Draw("dcgan", DATASET, "dcgan_generator.pt", n=SAMPLES, fd_bar=BARS["dcgan_fd_ratio"],
                     agreement_bar=BARS["dcgan_agreement"])
JUDGED = {
    "dcgan_inception_score": grading.Judged(DCGAN, "inception_score", BARS["dcgan_inception_score"],
                                            hint="Train longer or improve the architecture."),
    "dcgan_every_digit": grading.Judged(DCGAN, "every_class_drawn"),
}
