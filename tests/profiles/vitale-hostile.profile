# A Carte Vitale whose identity file is hostile: a '65' template that claims
# 0x7F bytes where the file has 10, then a field nested inside a field.
type = vitale
person.0.surname = UNUSED
file.ident = 65 7F 80 06 4D 41 52 54 49 4E A1 04 80 02 41 42
