"""Querying models through the OpenAI API: adapter, response cache, code extraction, prices,
sampling strategies. Nothing here is imported by ``import effbench``."""
