"""grading_diffusion: the diffusion lab's quality bars, for its autograder only (never shipped to students).
The samples are drawn in the grading kernel and judged outside it (``JUDGED``; grading.verdict, run by the
autograder's samplejudge plugin with the hidden MNIST judge).
"""
import grading

DATASET = "mnist"

# Bars on sample quality, set from measurement (python -m kit.bench --labs diffusion --threads 1 --seeds 1 2;
# hidden MNIST judge, 50 samples per digit, DDIM with the notebook's SAMPLE_STEPS = 20 and GUIDANCE = 3):
# * the reference (notebook budget: 4000 steps of 64 images, Min-SNR gamma 5, EMA 0.995; training seed 0, 272 s on
#   two threads), three sampling seeds: 99.6 / 99.8 / 99.8 %, worst digit 98 %;
# * training seeds 1 / 2 after 1000, 2000, 3000, 4000 steps (one thread, 118 / 234 / 347 / 461 s of CPU):
#   74.8 / 97.0 / 99.0 / 99.2 % and 82.0 / 98.4 / 99.4 / 99.8 %; worst digit at 4000 steps 94 / 98 %;
# * the reference with the label ignored (every label mapped to the null class): 9.6 %, worst digit 2 %;
#   the guidance sign flipped ((1 - w) eps_c + w eps_u): about 0 %; an untrained U-Net about 10 %.
# * sampling settings of generate, on the reference (hidden judge, 100 samples per digit; accuracy, worst digit,
#   grading.fd_ratio): 10 DDIM steps with w = 3: 99.8 %, 99 %, 5.8; w = 2: 99.4 %, 98 %, 3.8; w = 1.5: 99.0 %, 96 %,
#   3.5; w = 1: 96.8 %, 87 %, 5.1; 20 steps with w = 3: 99.5 %, 97 %, 5.8. generate uses 10 steps and w = 2.
# The bars sit at 90 % / 70 %: a full budget clears them by 9 / 24 points, half the budget (2000 steps) by 7 / 16.
BARS = {
    # share of samples (SAMPLES_PER_CLASS per digit) that the hidden judge reads as the digit asked for
    "diffusion_label_accuracy": 0.90,
    # the same share for the worst digit
    "diffusion_min_class_accuracy": 0.70,
    # realism (grading.fd_ratio, grading.agreement; 1 = as real as real digits): the reference 4.7 and 1.06 (the
    # 50 samples per digit graded; 3.8 with 100); three of its samples per digit repeated 14; one per digit repeated
    # 35 (each copy shifted by up to a pixel: 30); fooling images 380-840, 0.07-0.25 (tests/test_judges.py)
    "diffusion_fd_ratio": 12,
    "diffusion_agreement": 0.5,
}
SAMPLES_PER_CLASS = 50

DIFFUSION = grading.Draw("diffusion", DATASET, "diffusion_unet.pt", per_class=SAMPLES_PER_CLASS,
                         fd_bar=BARS["diffusion_fd_ratio"], agreement_bar=BARS["diffusion_agreement"])
JUDGED = {
    "diffusion_label_accuracy": grading.Judged(
        DIFFUSION, "label_accuracy", BARS["diffusion_label_accuracy"],
        hint="Check that the U-Net uses t and the label, the sign of the guidance, and that generate passes c; "
             "then train longer."),
    "diffusion_every_digit": grading.Judged(DIFFUSION, "every_class_accuracy", BARS["diffusion_min_class_accuracy"]),
}
