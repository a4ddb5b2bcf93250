using System.Diagnostics;

namespace Istar.Tests.Support;

/// <summary>
/// Runs scripts with the system Python (<c>/usr/bin/python3</c>, Debian's python3-anndata) to check files against the
/// reference implementation. <see cref="RequireAnnData"/> skips when anndata is missing, or fails when
/// <c>ISTAR_REQUIRE_SHARED=1</c>.
/// </summary>
internal static class Python
{
    public const string Executable = "/usr/bin/python3";

    private static readonly Lazy<string?> AnnDataProblem = new(() =>
    {
        if (!File.Exists(Executable))
        {
            return $"{Executable} does not exist";
        }

        var result = RunRaw("import anndata, scipy.sparse, pandas; print(anndata.__version__)", []);
        return result.ExitCode == 0 ? null : $"{Executable} cannot import anndata: {result.Stderr.Trim()}";
    });

    /// <summary>Skips (or fails under ISTAR_REQUIRE_SHARED=1) unless Python with anndata is available.</summary>
    public static void RequireAnnData()
    {
        if (AnnDataProblem.Value is { } why)
        {
            if (Environment.GetEnvironmentVariable("ISTAR_REQUIRE_SHARED") == "1")
            {
                Assert.Fail($"ISTAR_REQUIRE_SHARED=1 but {why}.");
            }

            Assert.Skip($"Needs Python anndata: {why}.");
        }
    }

    /// <summary>Runs a script (arguments in <c>sys.argv[1:]</c>); fails the test with its output unless it exits 0.</summary>
    public static string Run(string script, params string[] args)
    {
        RequireAnnData();
        var result = RunRaw(script, args);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"python exited {result.ExitCode}\n--- stdout\n{result.Stdout}\n--- stderr\n{result.Stderr}");
        }

        return result.Stdout;
    }

    /// <summary>
    /// Runs a script that needs the given modules (e.g. skimage); skips, or fails under ISTAR_REQUIRE_SHARED=1,
    /// when one cannot be imported.
    /// </summary>
    public static string RunWithModules(string[] modules, string script, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var probe = File.Exists(Executable) ? RunRaw("import " + string.Join(", ", modules), []) : new PythonResult(1, "", $"{Executable} does not exist");
        if (probe.ExitCode != 0)
        {
            string why = $"{Executable} cannot import {string.Join(", ", modules)} (apt-get install python3-skimage python3-anndata): {probe.Stderr.Trim()}";
            if (Environment.GetEnvironmentVariable("ISTAR_REQUIRE_SHARED") == "1")
            {
                Assert.Fail($"ISTAR_REQUIRE_SHARED=1 but {why}.");
            }

            Assert.Skip(why);
        }

        var result = RunRaw(script, args);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"python exited {result.ExitCode}\n--- stdout\n{result.Stdout}\n--- stderr\n{result.Stderr}");
        }

        return result.Stdout;
    }

    public static PythonResult RunRaw(string script, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["PYTHONWARNINGS"] = "default";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start python");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("python did not finish within 60 s");
        }

        return new PythonResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

internal sealed record PythonResult(int ExitCode, string Stdout, string Stderr);
