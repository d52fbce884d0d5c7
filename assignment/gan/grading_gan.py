"""grading_gan: the GAN lab's quality bar, for its autograder only (never shipped to students).

The DCGAN's samples are drawn in the grading kernel and judged outside it (``JUDGED``; grading.verdict, run by the
test in otter's process, verdicts.py, with the hidden MNIST judge).
"""
import grading

DATASET = "mnist"
SAMPLES = 1000  # samples of generate(n) the hidden judge reads

# Bars set from measurement (python -m kit.bench --labs gan; README; hidden judge, 1000 samples): the reference
# (4000 iterations at lr 2e-3, convolutions then one linear layer, 296 s on two threads) scores IS 6.9 and FD/floor
# 25 (agreement 0.73, least common digit 50 of 1000); the bars are first cleared after 500 iterations (49 s, one
# thread); the previous reference (2500 iterations at lr 1e-3) 6.1 and 39; the seed's other reading of the
# discriminator (the linear layer first, 784 -> 784) at lr 1e-3 5.6 and 56 after 3270 iterations (360 s, two
# threads); the earlier reference (linear layer first, lr 2e-4, 3000 iterations) 4.0 and 91, which the bars now
# reject; an untrained generator IS 1.0 (every sample read as the same digit); fooling images FD/floor 380-840,
# uniform noise 856; ten of the reference's samples repeated 97 (each copy shifted by up to a pixel: 91), one
# repeated 359 (tests/test_judges.py).
BARS = {
    # Inception Score of SAMPLES DCGAN samples computed with the hidden judge (1 = one digit only, 10 = ideal)
    "dcgan_inception_score": 4.5,
    # realism: Frechet distance to real test digits in the hidden judge's features over that of real training
    # digits (grading.fd_ratio)
    "dcgan_fd_ratio": 80,
    # realism: how often nearest real images carry the hidden judge's label, relative to real digits
    # (grading.agreement): the reference 0.73, the earlier one 0.44, fooling images 0.04-0.07, uniform noise 0.04
    "dcgan_agreement": 0.2,
}

# Samples closer to real data than this are flagged for the instructor (grading.review_note; no point is taken):
# MNIST training images deformed at random score 3.7 (mild affine), 6.1 (elastic) and 9.9 (strong affine) and pass
# every bar, while the recipe (lr 2e-3) reaches 25 in its CPU budget of 4,000 steps, 20 after 5,000 and 16 after
# 10,000 (the notebook's GPU budget; one thread, seed 0; at lr 1e-3: 39 after 2,500, 17 after 10,000). The strong
# affine map is at the flag's edge (tests/test_judges.py REVIEW_MISSES): a flag any lower would catch less, and one
# higher would catch honest runs that train longer.
REVIEW_BELOW = 10
# The judged samples are drawn by the autograder through the submitted DCGANGenerator (grading.Network); weights
# holding more than five times the reference's 362,723 numbers are flagged (a generator twice as wide holds about
# four times as many).
DCGAN = grading.Draw("dcgan", DATASET, "dcgan_generator.pt", n=SAMPLES, fd_bar=BARS["dcgan_fd_ratio"],
                     agreement_bar=BARS["dcgan_agreement"], review_below=REVIEW_BELOW,
                     network=grading.Network("DCGANGenerator", "tanh", z_dim="Z_DIM"), max_parameters=5 * 362_723)
JUDGED = {
    "dcgan_inception_score": grading.Judged(DCGAN, "inception_score", BARS["dcgan_inception_score"],
                                            hint="Train longer or improve the architecture."),
    "dcgan_every_digit": grading.Judged(DCGAN, "every_class_drawn"),
}
