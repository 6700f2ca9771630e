# Two persons in the identity file, one template in the NIR file: the
# files disagree, the card is refused (card_inconsistent), no NIR shown.
type = vitale
person.0.surname = MARTIN
person.0.first_name = CLAIRE
person.0.birth_date = 19800517
person.1.surname = MARTIN
person.1.first_name = LUCAS
person.1.birth_date = 20120309
file.vitale = 65 11 93 0F 32 38 30 30 35 37 35 31 32 33 34 35 36 37 34
