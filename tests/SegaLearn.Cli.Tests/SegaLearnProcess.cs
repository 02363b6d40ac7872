using System.Diagnostics;

namespace SegaLearn.Cli.Tests;

/// <summary>Runs the real <c>segalearn</c> command (the built segalearn.dll beside the tests) in a child process.</summary>
internal static class SegaLearnProcess
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static Result Run(string workingDirectory, params string[] args) => Run(workingDirectory, (Action<string, Process>?)null, args);

    /// <summary>Runs the command, calling <paramref name="onLine"/> with each line of standard output as it is written and the running process.</summary>
    public static Result Run(string workingDirectory, Action<string, Process>? onLine, params string[] args) => Run(workingDirectory, onLine, [], args);

    /// <summary>
    /// Runs the command through <paramref name="launcher"/> (a program and its arguments that end with the command to
    /// run, e.g. a simulated host's <c>hosts.sh run I</c>), or directly when it is empty.
    /// </summary>
    public static Result Run(string workingDirectory, Action<string, Process>? onLine, IReadOnlyList<string> launcher, params string[] args)
    {
        var start = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in launcher.Skip(1))
        {
            start.ArgumentList.Add(word);
        }

        if (launcher.Count > 0)
        {
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "segalearn.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SEGALEARN_BACKEND"] = null;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        var reading = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                output.AppendLine(line);
                onLine?.Invoke(line, process);
            }
        });
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"segalearn {string.Join(' ', args)} did not finish in 3 minutes");
        }

        reading.GetAwaiter().GetResult();
        return new Result(process.ExitCode, output.ToString(), error.Result);
    }
}
