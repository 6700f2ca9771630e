# A card carnet does not know: refuses every application it is asked for.
type = blank
atr = 3B 02 14 50
