"""Asynchronous batch client for Azure AI Language custom text classification and NER."""

__version__ = "0.1.0"
