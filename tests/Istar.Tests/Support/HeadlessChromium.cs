using System.Diagnostics;

namespace Istar.Tests.Support;

/// <summary>Debian's headless Chromium, started as the project's machines allow (no sandbox as root, no network).</summary>
internal static class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>Takes a screenshot of a local page and returns the serialised DOM after load.</summary>
    public static string ScreenshotAndDom(string htmlPath, string screenshotPath, int width = 1400, int height = 3000)
    {
        if (!File.Exists(Executable))
        {
            const string why = "/usr/bin/chromium is not installed (apt-get install chromium)";
            if (Environment.GetEnvironmentVariable("ISTAR_REQUIRE_SHARED") == "1")
            {
                Assert.Fail(why);
            }

            Assert.Skip(why);
        }

        string url = new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri;
        Run(url, $"--screenshot={screenshotPath}", $"--window-size={width},{height}");
        return Run(url, "--dump-dom", "--virtual-time-budget=5000");
    }

    private static string Run(string url, params string[] extra)
    {
        string profile = Path.Combine(Path.GetTempPath(), "istar-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", $"--user-data-dir={profile}",
        })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (string a in extra)
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add(url);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 60 s");
        }

        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
        }

        if (p.ExitCode != 0)
        {
            Assert.Fail($"chromium exited {p.ExitCode}: {err.Result}");
        }

        return stdout;
    }
}
