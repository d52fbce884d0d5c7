# The course kit's two commands:
#   make release   build student_release/, solutions/ and autograder/ from assignment/
#   make test      run the kit's test suite (builds a release into a temporary folder)
# Both create .venv and install requirements.txt first (make test also .gradeenv, a CPU-only grading venv).  DATA_DIR=/path/to/data reads an offline copy
# of MNIST / Fashion-MNIST (torchvision layout); without it torchvision downloads them to ./data.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

ifneq ($(strip $(DATA_DIR)),)
override DATA_DIR := $(abspath $(DATA_DIR))
export DATA_DIR
endif

.PHONY: venv gradeenv release weights test bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Train the judges that are missing, then build every lab (grading each solution through its autograder).
release: venv
	$(BIN)/python -m kit.judges
	$(BIN)/python -m kit.build

# Train the judges and the labs' reference files again from their fixed seeds (tens of minutes): each lab's
# make_reference.py, where it has one, and its master notebook's training cells.
weights: venv
	$(BIN)/python -m kit.judges --force
	$(BIN)/python -m kit.build --retrain

# The suite also grades in a box shaped like Gradescope's container, with the CPU-only grading environment.
test: venv gradeenv
	$(BIN)/python -m pytest tests -ra --durations=15

# The grading environment each autograder zip builds on Gradescope, from the same list
# (assignment/common/autograder/requirements.txt: a CPU-only torch, otter-grader, exact versions). The line that
# names PyTorch's CPU wheel index is left out here: the registry this kit installs from serves the same CPU build.
GRADEENV := .gradeenv
GRADING_REQUIREMENTS := assignment/common/autograder/requirements.txt
gradeenv: $(GRADEENV)/.installed

$(GRADEENV)/.installed: $(GRADING_REQUIREMENTS)
	$(PYTHON) -m venv $(GRADEENV)
	$(GRADEENV)/bin/pip install --quiet --upgrade pip
	grep -v -e '^--extra-index-url' $(GRADING_REQUIREMENTS) > $(GRADEENV)/requirements.txt
	$(GRADEENV)/bin/pip install --quiet -r $(GRADEENV)/requirements.txt
	touch $@

# Build and grade each lab's solution on one core in the grading environment (seconds and peak memory, also in
# Gradescope's box at 768 and 576 MB), then the training times to each lab's quality bar; the grading figures go to
# docs/bench.json, and the docs' tables are written from it (python -m kit.docs).
bench: venv gradeenv
	$(BIN)/python -m kit.bench --cores 1 --grading-python $(GRADEENV)/bin/python --json docs/bench.json
	$(BIN)/python -m kit.docs

clean:
	rm -rf $(VENV) $(GRADEENV) .pytest_cache
