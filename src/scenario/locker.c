/* placeholder: being implemented */
