// Command palisade runs an application-security and AWS-security program:
// it finds secrets, vulnerable dependencies and misconfigurations, keeps
// findings across scans and reports them. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/palisade-sec/palisade/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.NewApp().Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
