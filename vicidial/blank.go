package vicidial

// Blank is the value that empties a field with update_user (for the fields
// the server empties on it; see the contract's table).
const Blank = "--BLANK--"
