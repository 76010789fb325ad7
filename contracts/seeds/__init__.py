"""The five real contracts of ``shared/seeds/`` by their fixed codes (see DOMAIN.md), one module
each, numbered as the originals are.

Organisations, amounts, dates and obligations only: the people named in the originals (names,
phone numbers, accounts) stay out. Amounts in yuan; the price list of seed 000 is in 万元 in the
original (× 10,000 here). ``contracts.services.load_seed_contracts`` writes them.
"""

from contracts.seeds import seed_000, seed_001, seed_002, seed_003, seed_004

SEED_CONTRACTS = [seed.CONTRACT for seed in (seed_000, seed_001, seed_002, seed_003, seed_004)]
