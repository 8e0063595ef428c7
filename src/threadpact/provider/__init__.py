"""The reference provider: a threads API that honours the contract."""
