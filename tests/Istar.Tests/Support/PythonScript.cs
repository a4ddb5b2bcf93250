using System.Diagnostics;

namespace Istar.Tests.Support;

/// <summary>Runs a short script with Debian's /usr/bin/python3 (numpy, scipy, skimage, anndata from apt).</summary>
internal static class PythonScript
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>
    /// Runs <paramref name="code"/> and returns stdout. When the interpreter or one of <paramref name="modules"/> is
    /// missing the test is skipped, or fails under ISTAR_REQUIRE_SHARED=1 (CI installs them).
    /// </summary>
    public static string Run(string code, params string[] modules)
    {
        if (!File.Exists(Interpreter) || (modules.Length > 0 && Exec("import " + string.Join(", ", modules), out _, out _) != 0))
        {
            string why = $"{Interpreter} with {string.Join(", ", modules)} is not available (apt-get install python3-anndata python3-skimage)";
            if (Environment.GetEnvironmentVariable("ISTAR_REQUIRE_SHARED") == "1")
            {
                Assert.Fail(why);
            }

            Assert.Skip(why);
        }

        int rc = Exec(code, out string stdout, out string stderr);
        if (rc != 0)
        {
            Assert.Fail($"python exited {rc}: {stderr}");
        }

        return stdout;
    }

    private static int Exec(string code, out string stdout, out string stderr)
    {
        var psi = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(code);
        psi.Environment.Remove("PYTHONPATH");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        stderr = err.Result;
        return p.ExitCode;
    }
}
