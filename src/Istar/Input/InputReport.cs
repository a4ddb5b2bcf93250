namespace Istar.Input;

/// <summary>Problems collected while reading and validating input, so all of them can be shown at once.</summary>
public sealed class InputReport
{
    private readonly List<InputProblem> _problems = [];

    /// <summary>Every problem, in the order found.</summary>
    public IReadOnlyList<InputProblem> Problems => _problems;

    /// <summary>Error-level problems only.</summary>
    public IEnumerable<InputProblem> Errors => _problems.Where(p => p.Severity == ProblemSeverity.Error);

    /// <summary>Warning-level problems only.</summary>
    public IEnumerable<InputProblem> Warnings => _problems.Where(p => p.Severity == ProblemSeverity.Warning);

    /// <summary>True when at least one error was found.</summary>
    public bool HasErrors => _problems.Any(p => p.Severity == ProblemSeverity.Error);

    /// <summary>Adds a problem.</summary>
    public void Add(InputProblem problem) => _problems.Add(problem);

    /// <summary>Adds a warning.</summary>
    public void Warn(string location, string problem, string? hint = null) => Add(InputProblem.Warning(location, problem, hint));

    /// <summary>Adds an error.</summary>
    public void Fail(string location, string problem, string? hint = null) => Add(InputProblem.Error(location, problem, hint));

    /// <summary>Throws an <see cref="InputException"/> listing every error, if there is any.</summary>
    public void ThrowIfErrors()
    {
        var errors = Errors.ToList();
        if (errors.Count > 0)
        {
            throw new InputException(errors);
        }
    }
}
