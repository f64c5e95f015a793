# Shell
language-name = English
skip-to-content = Skip to content
prefs-language = Language
prefs-theme = Theme
theme-light = Light
theme-dark = Dark
theme-auto = Auto

# Landing page
landing-title = Book an appointment
landing-lead = Pick a service and a time that suits you. It takes about a minute, no account needed.
landing-cta = Start booking

# Error pages
error-home = Back to the start
error-title-400 = Bad request
error-text-400 = We could not understand that request.
error-title-403 = Not allowed
error-text-403 = This form has expired or did not come from this site. Please go back, reload the page and try again.
error-title-404 = Not found
error-text-404 = There is nothing at this address.
error-title-409 = Already taken
error-text-409 = Someone else got there first. Please choose again.
error-title-413 = Too large
error-text-413 = What you sent is larger than we accept.
error-title-422 = Please check your input
error-text-422 = Some of what you sent is not valid.
error-title-429 = Too many attempts
error-text-429 = Please wait a moment before trying again.
error-title-500 = Something went wrong
error-text-500 = Sorry, we could not complete this. Please try again in a moment.
