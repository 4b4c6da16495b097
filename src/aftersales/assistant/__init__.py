"""The customer-facing assistant: understanding (retrieval, intent, slots, emotion, risk), dialogue and handoff."""
