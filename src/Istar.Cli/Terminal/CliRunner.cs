using Istar.Input;

namespace Istar.Cli.Terminal;

/// <summary>Maps exceptions to exit codes and messages: bad input → 2 with the fix, anything else → 1.</summary>
internal static class CliRunner
{
    public const int InputError = 2;
    public const int Failure = 1;

    public static bool Verbose { get; set; }

    public static int Execute(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (InputException e)
        {
            Console.Error.WriteLine("error: " + (e.Problems.Count == 1 ? e.Problems[0].ToString() : "the input has problems:"));
            if (e.Problems.Count > 1)
            {
                foreach (var p in e.Problems)
                {
                    Console.Error.WriteLine("  - " + p);
                }
            }

            return InputError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (Verbose)
            {
                Console.Error.WriteLine(e.ToString());
            }
            else
            {
                Console.Error.WriteLine("(run with --verbose for the stack trace)");
            }

            return Failure;
        }
    }
}
