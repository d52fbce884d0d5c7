"""Colab's shell is google.colab._shell.Shell; otter tells Colab apart by that name in str(get_ipython())."""


def become_colab(shell) -> None:
    """Give a running IPython shell Colab's class name (its behaviour is unchanged)."""
    shell.__class__ = type("Shell", (type(shell),), {"__module__": __name__})
