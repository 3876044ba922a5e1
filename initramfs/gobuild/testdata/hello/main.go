// Command hello is a tiny main package that the gobuild tests build.
package main

import "fmt"

func main() {
	fmt.Println("hello from kiln gobuild")
}
