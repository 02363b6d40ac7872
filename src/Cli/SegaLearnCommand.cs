using System.CommandLine;
using System.Runtime.InteropServices;

namespace SegaLearn.Cli;

/// <summary>
/// The <c>segalearn</c> root command. Parse errors and <see cref="BadInputException"/> become one line on stderr
/// and exit code 2, never a stack trace; Ctrl+C or SIGTERM stops training between steps with exit code 130.
/// </summary>
public static class SegaLearnCommand
{
    /// <summary>The command tree, also what the deploy files' command lines are checked against.</summary>
    internal static RootCommand Create() =>
        new("SegaLearn.Distributed: neural networks in C#, trained on one core, all cores or a cluster.")
        {
            TrainCommand.Create(),
            EvaluateCommand.Create(),
            PredictCommand.Create(),
            ExportCommand.Create(),
            CoordinatorCommand.Create(),
            WorkerCommand.Create(),
            BenchCommand.Create(),
            CertCommand.Create(),
        };

    public static int Run(string[] args)
    {
        var parsed = Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {parsed.Errors[0].Message}");
            return ExitCodes.BadInput;
        }

        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, systemd, Kubernetes) stops a command as Ctrl+C does: the hosts' own handler would stop the actor
        // system, but not the training loop waiting on it.
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            interrupt.Cancel();
        });
        CommandContext.Cancellation = interrupt.Token;
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (BadInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (TrainingAbortedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}; nothing was written");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted: nothing was written");
            return ExitCodes.Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
