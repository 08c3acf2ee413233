"""rag: a local, offline question-answering assistant over news articles.

Importing this package is cheap: the heavy libraries (torch,
sentence-transformers, faiss, llama_cpp, gradio) load where they are first used.
"""

import os

# OpenMP threads sleep when idle instead of spinning. Both torch (the
# embedder) and llama.cpp run OpenMP pools; torch's spin-waiting after each
# embedding took CPU from llama.cpp's prompt reading on 2 cores: measured by
# `rag bench` (30 gold questions, default model), warm p50 5.15 s -> 4.5 s,
# overhead over llama.cpp alone 16% -> 8%. Read when the OpenMP runtime
# loads, so it is set before either library is imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
