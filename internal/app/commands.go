package app

import (
	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/commands/token"
)

// Commands lists every command, in the order --help shows them.
func Commands() []*command.Command {
	return []*command.Command{
		token.Command(),
	}
}
