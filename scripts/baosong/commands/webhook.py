"""baosong webhook: placeholder (filled in below)."""
