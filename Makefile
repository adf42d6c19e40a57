# Packaging entry points (the build itself lives in packaging/build.py, which also
# runs without make, e.g. on Windows: `python packaging/build.py`).
PYTHON ?= python3

.PHONY: dist onedir icons test-packaging clean-dist

## dist: build this platform's installer into dist/installers/ (.deb, setup .exe or .dmg)
dist:
	$(PYTHON) packaging/build.py

## onedir: only the PyInstaller build (dist/mrtimer, or the .app on macOS)
onedir:
	$(PYTHON) packaging/build.py --no-installer

## icons: write the .ico, .icns and hicolor PNGs to build/icons (the specs do this too)
icons:
	$(PYTHON) packaging/icons.py build/icons

## test-packaging: spec checks, then build + install + run + remove the .deb (root, Linux)
test-packaging:
	$(PYTHON) -m pytest tests/test_packaging.py tests/test_packaging_frozen.py

clean-dist:
	rm -rf build dist
