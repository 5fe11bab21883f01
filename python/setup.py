# Builds the _segue extension with segue's own CMake project (the repository
# root) through scikit-build, and installs it inside the segue package.
#   pip install --no-build-isolation ./python
# CMake options go through SKBUILD_CONFIGURE_OPTIONS or CMAKE_ARGS, e.g.
#   CMAKE_ARGS="-DSEGUE_TORCH=OFF" pip install --no-build-isolation ./python
import os

from skbuild import setup

here = os.path.dirname(os.path.abspath(__file__))
cmake_args = ["-DSEGUE_PYTHON=ON", "-DSEGUE_TESTS=OFF", "-DSEGUE_BENCH=OFF"]
cmake_args += os.environ.get("CMAKE_ARGS", "").split()

setup(
    name="segue",
    version="0.1.0",
    description="segue: music recommendation (C++20) from Python",
    packages=["segue"],
    package_dir={"segue": "segue"},
    cmake_source_dir="..",
    cmake_install_dir="segue",
    cmake_args=cmake_args,
    python_requires=">=3.9",
    install_requires=["numpy", "scipy"],
    extras_require={"pandas": ["pandas"], "progress": ["tqdm"]},
    zip_safe=False,
)
