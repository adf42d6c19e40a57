from mrtimer.cli import main

main()
