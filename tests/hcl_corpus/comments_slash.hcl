// a double-slash comment at the top
a = 1 // trailing
b = { // after an opening brace of an object
  k = "v" // after an item
  // own line inside an object
  l = "w"
}
c = upper( // inside a call
  "x" // after an argument
)
//no space
//
