// The Go side of the pk_duration differential test: one duration string per
// input line, Go's time.ParseDuration of it per output line (nanoseconds, or
// "error"). Standard library only, so `go run` needs no network.
package main

import (
	"bufio"
	"fmt"
	"os"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		d, err := time.ParseDuration(in.Text())
		if err != nil {
			fmt.Fprintln(out, "error")
		} else {
			fmt.Fprintln(out, int64(d))
		}
	}
}
