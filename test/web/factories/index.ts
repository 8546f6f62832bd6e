// Every web test builds its API shapes here: one import for the layer, one module per resource.
export * from "./alerts";
export * from "./connections";
export * from "./credentials";
export * from "./dialogs";
export * from "./plans";
export * from "./requests";
export * from "./responses";
export * from "./runs";
