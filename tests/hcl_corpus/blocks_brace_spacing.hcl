tight"x"{
a=1
}
loose   "y"   {
    b   =   2
}
