"""Querying models through the OpenAI API.

The adapter, the response cache, code extraction, prices, cost axes, sampling strategies,
allocation and sweeps. Nothing here is imported by ``import effbench``.
"""
