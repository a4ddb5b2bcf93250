using System.CommandLine;

namespace Istar.Cli.Commands;

/// <summary>
/// One <c>istar</c> verb. Every non-abstract implementation in this assembly is found and registered by
/// <see cref="Program"/>, so adding a verb is adding one file.
/// </summary>
internal interface ICliCommand
{
    /// <summary>Builds the System.CommandLine command with its options and action.</summary>
    Command Build();
}
