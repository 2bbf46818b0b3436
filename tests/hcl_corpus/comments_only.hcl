# nothing
// but
/* comments */
