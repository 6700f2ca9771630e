# A card whose names are in ISO 8859-1, padded with spaces to a fixed
# length (as readers of real cards assume: Rufus's lecteurvitale): carnet
# shows them as UTF-8, "LEFÈVRE" and "LÉA" (docs/card-io.md).
type = vitale
person.0.surname = UNUSED
file.ident = 65 1A 80 09 4C 45 46 C8 56 52 45 20 20 81 03 4C C9 41 82 08 32 30 31 32 30 33 30 39
file.vitale = 65 14 C0 01 01 93 0F 32 38 30 30 35 37 35 31 32 33 34 35 36 37 34
