"""The frozen app's entry script: the same ``main`` as the ``mrtimer`` console script.

With no arguments it starts the tray; the tray's dialogs run as a child process of the
same executable (``[sys.executable, "_dialog", kind]``), which lands here too.
"""

from mrtimer.cli import main

if __name__ == "__main__":
    main()
