"""rag: a local, offline question-answering assistant over news articles.

Importing this package is cheap: the heavy libraries (torch,
sentence-transformers, faiss, llama_cpp, gradio) load where they are first used.
"""

__version__ = "0.1.0"
