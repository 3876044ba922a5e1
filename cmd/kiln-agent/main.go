// Command kiln-agent is PID 1 of every Kiln image (installed as /init).
package main

import "github.com/kiln-project/kiln/agent"

func main() { agent.Main() }
