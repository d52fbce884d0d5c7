"""kit.bench's figures of the references as the autograder judged them (results.json's extra_data), each figure
shown when the results carry it."""
from kit import bench
from kit.labs import get


def test_reference_lines_report_each_models_realism_variety_and_accuracy():
    extra = {"samples": {
        "cgan": {"fd_ratio": 4.14, "agreement": 1.01, "label_accuracy": 0.987, "per_class": [0.99] * 9 + [0.95],
                 "class_spread": [0.12] * 9 + [0.071], "coverage_min": 0.64},
        "vae": {"fd_ratio": 61.0, "agreement": 0.5, "inception_score": 7.12, "spread": 0.2},
        "attack": {"success": 1.0},  # not a generative model: no realism line
    }, "grading_seconds": 41.2}
    lines = bench.reference_lines("cgan_vae", extra)
    assert len(lines) == 3, lines
    cgan, vae, seconds = lines
    assert cgan.startswith("cgan_vae: reference cgan: FD/floor 4.1")
    assert "label accuracy 98.7% (worst class 95%)" in cgan and "least varied class's spread 0.071" in cgan
    assert "least covered class's coverage 0.64" in cgan
    assert "IS 7.12" in vae and "FD/floor 61.0" in vae and "coverage" not in vae
    # the training time is the one stored with the reference checkpoint
    seconds_stored = bench.torch_load_extra(get("cgan_vae").reference / "cgan_generator.pt").get("train_seconds")
    assert cgan.endswith(f"trained in {seconds_stored:.0f} s" if seconds_stored is not None
                         else "training time not recorded"), cgan
    assert seconds == "cgan_vae: drawing and judging the samples: 41 s"
    assert bench.reference_lines("gan", {}) == []


def test_bench_fails_when_the_solution_loses_points_in_any_grading():
    """make bench measured a grading the kernel never ran (0/12 in 5 s) as if it were the real one: a solution short
    of full marks anywhere, or a box run with no report, now fails the bench."""
    def record(score, box768="12/12", failed=None):
        grading = {"score": score, "box": {"768": {"score": box768, "seconds": 36.0, "peak_mb": 554}}}
        if failed:
            grading["box_failed"] = failed
        return {"grading": grading}

    assert bench.full_marks(record("12/12"))
    assert not bench.full_marks(record("0/12"))
    assert not bench.full_marks(record("12/12", box768="no results.json"))
    assert not bench.full_marks(record("12/12", failed=["576 MB: gradescope-box: no report"]))


def test_bench_fails_when_a_reference_regresses_past_its_target():
    """The CPU targets, restated as what was reached (with margin): the references as measured pass, a worse one
    fails."""
    import json

    measured = json.loads((bench.ROOT / "docs" / "bench.json").read_text())["references"]
    records = {"all": {"references": measured}}
    assert bench.regressions(records) == [], measured
    worse = {"x": {"references": {"cgan": {"fd_ratio": 2.0}, "dcgan": {"fd_ratio": 24.9}}}}
    assert bench.regressions(worse) == ["cgan FD/floor 2.0 > 1.5"]
