# Birth dates that are not calendar dates: 30 February for the holder
# (valid NIR), a letter O for a zero for the beneficiary.  Both are shown
# as the card gives them, flagged birth_date_valid false.
type = vitale
person.0.surname = MARTIN
person.0.first_name = CLAIRE
person.0.birth_date = 19800230
person.0.nir = 280057512345674
person.1.surname = MARTIN
person.1.first_name = LUCAS
person.1.birth_date = 2O120309
person.1.nir = 112037512345629
