# The card of vitale-tlv.profile with the 81 inside the A5 object claiming
# two bytes where A5 has one left: it overruns its parent, the card is
# refused (card_malformed).
type = vitale
person.0.surname = UNUSED
file.ident = 65 82 00 2F 5F 20 03 41 42 43 80 81 06 4D 41 52 54 49 4E A5 08 5F 2D 02 46 52 81 02 01 9F FF 01 01 AA 81 05 4C 55 43 41 53 82 08 32 30 31 32 30 33 30 39
file.vitale = 65 14 C0 01 01 93 0F 32 38 30 30 35 37 35 31 32 33 34 35 36 37 34
