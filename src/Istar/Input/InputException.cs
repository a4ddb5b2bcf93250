namespace Istar.Input;

/// <summary>How serious an <see cref="InputProblem"/> is.</summary>
public enum ProblemSeverity
{
    /// <summary>The run can go on; the user should know.</summary>
    Warning,
    /// <summary>The run cannot go on.</summary>
    Error,
}

/// <summary>
/// One problem found in the user's input: where it is, what was expected and found, and how to fix it.
/// Rendered as <c>&lt;where&gt;: &lt;problem&gt; &lt;hint&gt;</c>.
/// </summary>
public sealed record InputProblem(ProblemSeverity Severity, string Location, string Problem, string? Hint = null)
{
    /// <summary>Creates an error-level problem.</summary>
    public static InputProblem Error(string location, string problem, string? hint = null) =>
        new(ProblemSeverity.Error, location, problem, hint);

    /// <summary>Creates a warning-level problem.</summary>
    public static InputProblem Warning(string location, string problem, string? hint = null) =>
        new(ProblemSeverity.Warning, location, problem, hint);

    /// <inheritdoc />
    public override string ToString() =>
        Hint is null ? $"{Location}: {Problem}" : $"{Location}: {Problem} {Hint}";
}

/// <summary>Bad user input. Carries every error-level problem found, each with its location and fix.</summary>
public sealed class InputException : Exception
{
    /// <summary>Creates an exception for one problem.</summary>
    public InputException(string location, string problem, string? hint = null)
        : this([InputProblem.Error(location, problem, hint)])
    {
    }

    /// <summary>Creates an exception listing several problems.</summary>
    public InputException(IReadOnlyList<InputProblem> problems)
        : base(Render(problems))
    {
        if (problems.Count == 0)
        {
            throw new ArgumentException("An InputException needs at least one problem.", nameof(problems));
        }

        Problems = problems;
    }

    /// <summary>Every problem, in the order found.</summary>
    public IReadOnlyList<InputProblem> Problems { get; }

    /// <summary>Where the first problem is (file, line, field).</summary>
    public string Location => Problems[0].Location;

    /// <summary>What is wrong with the first problem.</summary>
    public string Problem => Problems[0].Problem;

    /// <summary>How to fix the first problem, if known.</summary>
    public string? Hint => Problems[0].Hint;

    private static string Render(IReadOnlyList<InputProblem> problems) =>
        problems.Count == 1 ? problems[0].ToString() : string.Join(Environment.NewLine, problems.Select(p => "- " + p));
}
