"""grading_diffusion: the diffusion lab's quality bars, for its autograder only (never shipped to students).
The samples are judged by the shared checks of grading.py (hidden MNIST judge).
"""
DATASET = "mnist"

# Bars on sample quality, set from measurement (python -m kit.bench --labs diffusion --threads 1 --seeds 1 2;
# hidden MNIST judge, 50 samples per digit, DDIM with the notebook's SAMPLE_STEPS = 20 and GUIDANCE = 3):
# * the reference (notebook budget: 4000 steps of 64 images, Min-SNR gamma 5, EMA 0.995; training seed 0, 272 s on
#   two threads), three sampling seeds: 99.6 / 99.8 / 99.8 %, worst digit 98 %;
# * training seeds 1 / 2 after 1000, 2000, 3000, 4000 steps (one thread, 118 / 234 / 347 / 461 s of CPU):
#   74.8 / 97.0 / 99.0 / 99.2 % and 82.0 / 98.4 / 99.4 / 99.8 %; worst digit at 4000 steps 94 / 98 %;
# * the reference with the label ignored (every label mapped to the null class): 9.6 %, worst digit 2 %;
#   the guidance sign flipped ((1 - w) eps_c + w eps_u): about 0 %; an untrained U-Net about 10 %.
# The bars sit at 90 % / 70 %: a full budget clears them by 9 / 24 points, half the budget (2000 steps) by 7 / 16.
BARS = {
    # share of samples (SAMPLES_PER_CLASS per digit) that the hidden judge reads as the digit asked for
    "diffusion_label_accuracy": 0.90,
    # the same share for the worst digit
    "diffusion_min_class_accuracy": 0.70,
}
SAMPLES_PER_CLASS = 50
