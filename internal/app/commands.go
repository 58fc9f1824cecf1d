package app

import (
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/token"
	"github.com/asc-action/asc-action/internal/commands/verify"
)

// Commands lists every command, in the order --help shows them.
func Commands() []*command.Command {
	return []*command.Command{
		token.Command(),
		verify.Command(),
	}
}
