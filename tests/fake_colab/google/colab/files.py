import os
import shutil


def upload() -> dict:
    src = os.environ["FAKE_COLAB_UPLOAD"]
    name = os.path.basename(src)
    shutil.copy(src, name)
    with open(name, "rb") as f:
        return {name: f.read()}


def download(path: str) -> None:
    shutil.copy(path, os.environ["FAKE_COLAB_DOWNLOADS"])
