"""grading_tiny: the minimal lab's bars, for its autograder only.  The judged samples are drawn by the autograder
through the submitted TinyGenerator (grading.Network) and judged with the hidden MNIST judge.  Bars from measurement
(200 samples, hidden judge): the solution's linear decoder (400 steps on 500 images, 3 s on one thread) scores a judge
score of 3.6, a realism of 106 and an agreement of 0.51; an untrained one 1.0, 917 and 0.07."""
import grading

DATASET = "mnist"
BARS = {"tiny_inception_score": 1.5, "tiny_fd_ratio": 400, "tiny_agreement": 0.2}
TINY = grading.Draw("tiny", DATASET, "tiny_generator.pt", n=200, fd_bar=BARS["tiny_fd_ratio"],
                    agreement_bar=BARS["tiny_agreement"],
                    network=grading.Network("TinyGenerator", "tanh", z_dim="Z_DIM"), max_parameters=5 * 7_072)
JUDGED = {"tiny_inception_score": grading.Judged(TINY, "inception_score", BARS["tiny_inception_score"],
                                                 hint="Train the decoder.")}
