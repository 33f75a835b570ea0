"""Rich lives only here: rendering of errors, lint findings and the live conversation view."""
