using System.CommandLine;
using System.Globalization;
using SegaLearn.Metrics;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn evaluate</c>: accuracy, precision/recall/F1 and the confusion matrix of a saved classifier; MSE, MAE
/// and R² of a saved regression model.
/// </summary>
internal static class EvaluateCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "a model file written by train --out", Required = true };
    private static readonly Option<string> Data = new("--data") { Description = "the data to score (the training data set scores its held-out test split)", Required = true };
    private static readonly Option<string?> LabelColumn = new("--label-column") { Description = "CSV label column, by name or 0-based index" };
    private static readonly Option<bool> AllRows = new("--all-rows") { Description = "score every row, also of the data set the model was trained on (default: its held-out test split)" };

    public static Command Create()
    {
        var command = new Command("evaluate", "Score a saved model on labelled data.") { Model, Data, LabelColumn, AllRows };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var inputs = ModelInputs.Load(parse.GetValue(Model)!);
        var (data, description) = inputs.Select(parse.GetValue(Data)!, parse.GetValue(LabelColumn), parse.GetValue(AllRows));
        var invariant = CultureInfo.InvariantCulture;
        if (inputs.Network.Architecture.IsRegression)
        {
            var (scores, _) = inputs.Network.EvaluateRegression(inputs.Prepare(data), data.Targets.Values);
            Console.WriteLine($"data: {description}");
            Console.WriteLine(string.Create(invariant, $"mse: {scores.MeanSquaredError:G6}"));
            Console.WriteLine(string.Create(invariant, $"mae: {scores.MeanAbsoluteError:G6}"));
            Console.WriteLine(string.Create(invariant, $"r2: {scores.R2:F4}"));
            return ExitCodes.Success;
        }

        var predictions = inputs.Network.Predict(inputs.Prepare(data));
        var classes = inputs.Network.Architecture.ClassCount;
        var report = ClassificationReport.Compute(data.Labels, predictions, classes);
        var names = inputs.ClassNames;
        Console.WriteLine($"data: {description}");
        Console.WriteLine(string.Create(invariant, $"accuracy: {report.Accuracy:F4}"));
        Console.WriteLine(string.Create(invariant, $"macro precision: {report.MacroPrecision:F4}  recall: {report.MacroRecall:F4}  F1: {report.MacroF1:F4}"));
        Console.WriteLine("class       precision  recall     F1");
        for (var c = 0; c < classes; c++)
        {
            var name = c < names.Count ? names[c] : c.ToString(invariant);
            Console.WriteLine(string.Create(invariant, $"{name,-12}{report.Precision[c],-11:F4}{report.Recall[c],-11:F4}{report.F1[c]:F4}"));
        }

        Console.WriteLine("confusion matrix (rows: true class, columns: predicted):");
        foreach (var line in ConfusionMatrixText.Lines(report.Confusion, names))
        {
            Console.WriteLine(line);
        }

        return ExitCodes.Success;
    }
}
