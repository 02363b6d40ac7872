using System.Globalization;
using Spectre.Console;
using SegaLearn.Training;

namespace SegaLearn.Cli;

/// <summary>
/// Shows training progress: a Spectre.Console progress bar (epoch, step, loss, ETA; "evaluating" while the epoch's
/// end-of-epoch evaluation runs) on an interactive terminal, and otherwise the seed's plain lines,
/// <c>Epoch 1/100 - Loss: 0.1234, Train Acc: 0.9876 (4.1 s, 14634 samples/s)</c>, timed over the whole epoch.
/// Scheduler and early-stopping messages are printed as lines in both modes.
/// </summary>
internal sealed class TrainingReporter(TextWriter output)
{
    private static bool Interactive =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("CI") is null;

    public TrainingHistory Run(int epochs, Func<Action<TrainingEvent>, TrainingHistory> train)
    {
        if (!Interactive)
        {
            return train(PlainLine);
        }

        TrainingHistory? history = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: epochs);
                history = train(e =>
                {
                    switch (e)
                    {
                        case StepCompleted s:
                            task.Value = s.Epoch + (double)(s.Step + 1) / s.StepsPerEpoch;
                            task.Description = s.Step + 1 == s.StepsPerEpoch
                                ? string.Create(CultureInfo.InvariantCulture, $"epoch {s.Epoch + 1}/{s.Epochs} evaluating")
                                : string.Create(CultureInfo.InvariantCulture, $"epoch {s.Epoch + 1}/{s.Epochs} step {s.Step + 1}/{s.StepsPerEpoch} loss {s.MeanLoss:F4}");
                            break;
                        case EpochCompleted c:
                            AnsiConsole.WriteLine(EpochLine(c));
                            break;
                        case TrainingMessage m:
                            AnsiConsole.WriteLine(m.Text);
                            break;
                    }
                });
                task.Value = task.MaxValue;
            });
        return history!;
    }

    private void PlainLine(TrainingEvent e)
    {
        switch (e)
        {
            case EpochCompleted c:
                output.WriteLine(EpochLine(c));
                break;
            case TrainingMessage m:
                output.WriteLine(m.Text);
                break;
        }
    }

    private static string EpochLine(EpochCompleted c)
    {
        var m = c.Metrics;
        var line = string.Create(CultureInfo.InvariantCulture, $"Epoch {m.Epoch + 1}/{c.Epochs} - Loss: {m.TrainLoss:F4}");
        if (m.TrainAccuracy is { } accuracy)
        {
            line += string.Create(CultureInfo.InvariantCulture, $", Train Acc: {accuracy:F4}");
        }

        if (m.ValidationLoss is { } valLoss)
        {
            line += string.Create(CultureInfo.InvariantCulture, $", Val Loss: {valLoss:F4}");
        }

        if (m.ValidationAccuracy is { } valAccuracy)
        {
            line += string.Create(CultureInfo.InvariantCulture, $", Val Acc: {valAccuracy:F4}");
        }

        return line + string.Create(CultureInfo.InvariantCulture, $" ({m.Seconds:F1} s, {m.SamplesPerSecond:F0} samples/s)");
    }
}
